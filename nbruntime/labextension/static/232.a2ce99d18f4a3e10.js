"use strict";(self.rspackChunknbruntime=self.rspackChunknbruntime||[]).push([[232],{475(e,t,r){var n=r(601),o=r.n(n),a=r(314),i=r.n(a),s=r(417),c=r.n(s),l=new URL(r(321),r.b),p=new URL(r(461),r.b),u=i()(o()),d=c()(l),f=c()(p);u.push([e.id,`/* Squiggles and hovers of nbruntime's compatibility diagnostics in %%edge / %%node cells. */

.cm-nbr-diagnostic {
  background-repeat: repeat-x;
  background-position: left bottom;
  padding-bottom: 0.7px;
}

.cm-nbr-error {
  background-image: url(${d});
}

.cm-nbr-warning {
  background-image: url(${f});
}

.nbr-tooltip {
  max-width: 640px;
  padding: 4px 8px;
  font-family: var(--jp-ui-font-family);
  font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color1);
  background: var(--jp-layout-color1);
  white-space: pre-wrap;
}

.nbr-problem {
  padding: 2px 0 2px 6px;
  border-left: 3px solid var(--jp-error-color1);
}

.nbr-problem.nbr-warning {
  border-left-color: var(--jp-warn-color1);
}

.nbr-problem + .nbr-problem {
  margin-top: 4px;
}

/* The magic line of a cell highlighted as TypeScript: one readable style instead of parse errors. */
.cm-nbr-magic,
.cm-nbr-magic span {
  color: var(--jp-mirror-editor-meta-color) !important;
  font-weight: bold;
  text-decoration: none !important;
}

.nbr-problem > :first-child {
  font-weight: bold;
}

/* A widget that leaves a snapshot (nbruntime/widgets/snapshot.py) is followed by an output holding that
   picture of it, for viewers without a kernel. Where the widget itself is live, the picture is hidden. */
.jp-OutputArea-child:has(.nbruntime-live) + .jp-OutputArea-child:has(.nbruntime-snapshot) {
  display: none;
}
`,""]),r.d(t,{},{A:u})},314(e){e.exports=function(e){var t=[];return t.toString=function(){return this.map(function(t){var r="",n=void 0!==t[5];return t[4]&&(r+="@supports (".concat(t[4],") {")),t[2]&&(r+="@media ".concat(t[2]," {")),n&&(r+="@layer".concat(t[5].length>0?" ".concat(t[5]):""," {")),r+=e(t),n&&(r+="}"),t[2]&&(r+="}"),t[4]&&(r+="}"),r}).join("")},t.i=function(e,r,n,o,a){"string"==typeof e&&(e=[[null,e,void 0]]);var i={};if(n)for(var s=0;s<this.length;s++){var c=this[s][0];null!=c&&(i[c]=!0)}for(var l=0;l<e.length;l++){var p=[].concat(e[l]);n&&i[p[0]]||(void 0!==a&&(void 0===p[5]||(p[1]="@layer".concat(p[5].length>0?" ".concat(p[5]):""," {").concat(p[1],"}")),p[5]=a),r&&(p[2]&&(p[1]="@media ".concat(p[2]," {").concat(p[1],"}")),p[2]=r),o&&(p[4]?(p[1]="@supports (".concat(p[4],") {").concat(p[1],"}"),p[4]=o):p[4]="".concat(o)),t.push(p))}},t}},417(e){e.exports=function(e,t){return(t||(t={}),e&&(e=String(e.__esModule?e.default:e),/^['"].*['"]$/.test(e)&&(e=e.slice(1,-1)),t.hash&&(e+=t.hash),/["'() \t\n]|(%20)/.test(e)||t.needQuotes))?'"'.concat(e.replace(/"/g,'\\"').replace(/\n/g,"\\n"),'"'):e}},601(e){e.exports=function(e){return e[1]}},72(e){var t=[];function r(e){for(var r=-1,n=0;n<t.length;n++)if(t[n].identifier===e){r=n;break}return r}function n(e,n){for(var o={},a=[],i=0;i<e.length;i++){var s=e[i],c=n.base?s[0]+n.base:s[0],l=o[c]||0,p="".concat(c," ").concat(l);o[c]=l+1;var u=r(p),d={css:s[1],media:s[2],sourceMap:s[3],supports:s[4],layer:s[5]};if(-1!==u)t[u].references++,t[u].updater(d);else{var f=function(e,t){var r=t.domAPI(t);return r.update(e),function(t){t?(t.css!==e.css||t.media!==e.media||t.sourceMap!==e.sourceMap||t.supports!==e.supports||t.layer!==e.layer)&&r.update(e=t):r.remove()}}(d,n);n.byIndex=i,t.splice(i,0,{identifier:p,updater:f,references:1})}a.push(p)}return a}e.exports=function(e,o){var a=n(e=e||[],o=o||{});return function(e){e=e||[];for(var i=0;i<a.length;i++){var s=r(a[i]);t[s].references--}for(var c=n(e,o),l=0;l<a.length;l++){var p=r(a[l]);0===t[p].references&&(t[p].updater(),t.splice(p,1))}a=c}}},659(e){var t={};e.exports=function(e,r){var n=function(e){if(void 0===t[e]){var r=document.querySelector(e);if(window.HTMLIFrameElement&&r instanceof window.HTMLIFrameElement)try{r=r.contentDocument.head}catch(e){r=null}t[e]=r}return t[e]}(e);if(!n)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");n.appendChild(r)}},540(e){e.exports=function(e){var t=document.createElement("style");return e.setAttributes(t,e.attributes),e.insert(t,e.options),t}},56(e,t,r){e.exports=function(e){var t=r.nc;t&&e.setAttribute("nonce",t)}},825(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var t=e.insertStyleElement(e);return{update:function(r){var n,o,a;n="",r.supports&&(n+="@supports (".concat(r.supports,") {")),r.media&&(n+="@media ".concat(r.media," {")),(o=void 0!==r.layer)&&(n+="@layer".concat(r.layer.length>0?" ".concat(r.layer):""," {")),n+=r.css,o&&(n+="}"),r.media&&(n+="}"),r.supports&&(n+="}"),(a=r.sourceMap)&&"u">typeof btoa&&(n+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(a))))," */")),e.styleTagTransform(n,t,e.options)},remove:function(){var e;null===(e=t).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,t){if(t.styleSheet)t.styleSheet.cssText=e;else{for(;t.firstChild;)t.removeChild(t.firstChild);t.appendChild(document.createTextNode(e))}}},579(e,t,r){var n=r(72),o=r.n(n),a=r(825),i=r.n(a),s=r(659),c=r.n(s),l=r(56),p=r.n(l),u=r(540),d=r.n(u),f=r(113),h=r.n(f),m=r(475),g={};g.styleTagTransform=h(),g.setAttributes=p(),g.insert=c().bind(null,"head"),g.domAPI=i(),g.insertStyleElement=d(),o()(m.A,g),m.A&&m.A.locals&&m.A.locals},321(e){e.exports="data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 width=%276%27 height=%273%27%3E%3Cpath d=%27m0 3 l2 -2 l1 0 l2 2 l1 0%27 stroke=%27%23d11%27 fill=%27none%27 stroke-width=%27.8%27/%3E%3C/svg%3E"},461(e){e.exports="data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 width=%276%27 height=%273%27%3E%3Cpath d=%27m0 3 l2 -2 l1 0 l2 2 l1 0%27 stroke=%27%23e90%27 fill=%27none%27 stroke-width=%27.8%27/%3E%3C/svg%3E"}}]);